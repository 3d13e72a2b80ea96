"""Reports on a tenant's requests: the `dsar report` CLI and server-side SVG charts."""
