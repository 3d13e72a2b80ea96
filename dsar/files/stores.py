"""A data map's file stores, reached through fsspec (``s3://`` by s3fs, ``file://``).

A :class:`FileStore` names files by their key relative to the store's URL, as the
customer's rows hold them. It opens a file for streaming (never reads it whole), tells
its size, lists the store (``datamap check``) and deletes in batches with the store's own
batch call (``fs.rm(list)``: one S3 DeleteObjects per 1,000 keys). A file that is already
missing is reported as such, never raised.

Errors become :class:`StoreUnavailable` naming the store, never its options (which hold
credentials).
"""
from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from dsar.datamap.model import Store
from dsar.errors import ConfigurationError, SourceUnavailable

if TYPE_CHECKING:
    import fsspec

CHUNK_BYTES = 256 * 1024
DELETE_BATCH = 1000  # S3's DeleteObjects limit


class StoreUnavailable(SourceUnavailable):
    """The file store could not be reached or refused the operation."""

    code = "store_unavailable"


class UnsafeKey(ConfigurationError):
    """A row names a file key that would leave the store (``..``, absolute, empty)."""

    code = "unsafe_file_key"


@dataclass(frozen=True)
class Deleted:
    """The outcome of a batch delete: keys removed and keys that were already missing."""

    deleted: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def safe_key(key: object) -> str:
    """``key`` as a relative path inside the store; UnsafeKey when it is not one."""
    text = str(key).strip() if key is not None else ""
    parts = text.replace("\\", "/").split("/")
    if not text or text.startswith("/") or any(part in ("", ".", "..") for part in parts) or "\x00" in text:
        raise UnsafeKey("a file key must be a relative path inside its store (no empty, . or .. parts)",
                        details={"key_length": len(text)})
    return "/".join(parts)


@dataclass
class FileStore:
    store: Store
    fs: fsspec.AbstractFileSystem = field(repr=False)
    root: str

    @property
    def name(self) -> str:
        return self.store.name

    def path(self, key: object) -> str:
        return posixpath.join(self.root, safe_key(key)) if self.root else safe_key(key)

    def open(self, key: object) -> IO[bytes]:
        """The file for reading, streamed; FileNotFoundError when it is missing."""
        try:
            return self.fs.open(self.path(key), "rb", block_size=CHUNK_BYTES)
        except FileNotFoundError:
            raise
        except OSError as error:
            raise self._unavailable("reading a file of", error) from None

    def chunks(self, key: object) -> Iterator[bytes]:
        """The file's bytes in bounded chunks (FileNotFoundError when it is missing)."""
        handle = self.open(key)
        with handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk

    def size(self, key: object) -> int | None:
        """The file's size in bytes, None when it is missing."""
        try:
            return int(self.fs.size(self.path(key)))
        except FileNotFoundError:
            return None
        except OSError as error:
            raise self._unavailable("reading a file of", error) from None

    def check(self) -> None:
        """Raise StoreUnavailable unless the store can be listed (``datamap check``)."""
        try:
            if self.store.protocol == "file" and not self.fs.isdir(self.root):
                raise FileNotFoundError(self.root)
            # An S3 prefix with no file yet does not exist as such: the bucket must.
            self.fs.ls(self.root.split("/", 1)[0] if self._is_s3 else self.root, detail=False)
        except FileNotFoundError:
            raise StoreUnavailable(f'file store "{self.name}" cannot be listed: its folder or bucket does not '
                                   "exist", details={"store": self.name}) from None
        except Exception as error:  # botocore and aiohttp errors are not all OSErrors
            raise self._unavailable("listing", error) from None

    def delete(self, keys: Sequence[object], *, listed: dict[str, set[str]] | None = None) -> Deleted:
        """Delete ``keys`` with the store's batch call; already missing keys are reported.

        ``listed`` keeps the folder listings between calls (pass the same dict for the
        batches of one run), so a folder of 10,000 files is listed once, not per batch.
        """
        paths = {self.path(key): str(key) for key in keys}
        folders = {} if listed is None else listed
        present, missing = self._split_missing(list(paths), folders)
        try:
            for start in range(0, len(present), DELETE_BATCH):
                self.fs.rm(present[start:start + DELETE_BATCH])
        except FileNotFoundError:  # gone between the listing and the delete: still gone
            pass
        except Exception as error:
            raise self._unavailable("deleting files of", error) from None
        for path in present:  # a later batch naming the same file finds it missing
            folders[posixpath.dirname(path)].discard(_strip(path))
        return Deleted(tuple(paths[p] for p in present), tuple(paths[p] for p in missing))

    def _split_missing(self, paths: list[str], folders: dict[str, set[str]]) -> tuple[list[str], list[str]]:
        """(present, missing), by one listing per folder (S3's DeleteObjects reports a
        missing key as deleted, so only a listing can tell)."""
        try:
            for folder in dict.fromkeys(posixpath.dirname(path) for path in paths):
                if folder in folders:
                    continue
                try:
                    listed = self.fs.ls(folder, detail=False, **({"refresh": True} if self._is_s3 else {}))
                except FileNotFoundError:
                    listed = []
                folders[folder] = {_strip(item) for item in listed}
        except Exception as error:
            raise self._unavailable("listing", error) from None
        present = [p for p in paths if _strip(p) in folders[posixpath.dirname(p)]]
        return present, [p for p in paths if _strip(p) not in folders[posixpath.dirname(p)]]

    @property
    def _is_s3(self) -> bool:
        return self.store.protocol == "s3"

    def _unavailable(self, doing: str, error: BaseException) -> StoreUnavailable:
        # The error's class only: its text can quote an endpoint with credentials or a key.
        return StoreUnavailable(f'file store "{self.name}" failed while {doing} it ({type(error).__name__})',
                                details={"store": self.name})


def _strip(path: str) -> str:
    return path.rstrip("/").removeprefix("file://")


def open_store(store: Store) -> FileStore:
    """The FileStore for ``store`` (fsspec caches the underlying filesystem per options)."""
    import fsspec  # start-up: only a data map with file stores needs it

    protocol, rest = store.url.split("://", 1)
    options = dict(store.options)
    try:
        fs = fsspec.filesystem(protocol, **options)
    except (ImportError, ValueError, TypeError) as error:
        raise ConfigurationError(f'file store "{store.name}" cannot be opened ({type(error).__name__}: check its '
                                 "options)", details={"store": store.name}) from None
    return FileStore(store, fs, rest.rstrip("/"))


def open_stores(stores: Sequence[Store]) -> dict[str, FileStore]:
    return {store.name: open_store(store) for store in stores}
