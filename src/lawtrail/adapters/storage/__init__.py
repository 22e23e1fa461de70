"""The evidence vault's blob stores (``services.ports.BlobStore``): local folder and S3-compatible.

``s3`` is not imported here, so the embedded default never loads boto3.
"""

from lawtrail.adapters.storage.base import StoredBlob
from lawtrail.adapters.storage.local import LocalBlobStore
from lawtrail.errors import StorageFull

__all__ = ["LocalBlobStore", "StorageFull", "StoredBlob"]
