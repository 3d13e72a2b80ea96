"""Reports on a tenant's requests, in one home: ``figures`` (the §7101 register and the §7102
metrics, read from dsar's own database), ``charts`` (server-side SVG of those figures, for the
dashboard) and ``cli`` (`dsar report metrics`)."""
