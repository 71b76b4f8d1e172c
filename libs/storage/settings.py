"""Which storage backend, and its connection (env COMPTOIR_STORAGE, COMPTOIR_STORAGE_MAX_BYTES,
COMPTOIR_S3_*). Every service reads the same variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class StorageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPTOIR_", env_file=".env", extra="ignore")

    storage: Literal["postgres", "s3"] = "postgres"
    storage_max_bytes: int = Field(25 * 1024 * 1024, ge=1, le=1024 * 1024 * 1024)

    # S3-compatible object store (AWS S3, MinIO, Ceph, Scaleway, OVH, …)
    s3_bucket: str | None = Field(None, min_length=3, max_length=63)
    # unset: AWS's own endpoint for the region; set for any other provider (e.g. http://minio:9000)
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    # unset: botocore's usual credential chain (environment, instance or pod role)
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    # keys are stored under this prefix in the bucket (e.g. "comptoir/"), empty: at the root
    s3_prefix: str = Field("", max_length=200, pattern=r"^([A-Za-z0-9._-]+/)*$")
    # "path" (bucket in the path) works with every S3-compatible server; "virtual" for AWS's newer buckets
    s3_addressing_style: Literal["path", "virtual", "auto"] = "path"
    s3_timeout_s: float = Field(10.0, gt=0)
    s3_max_attempts: int = Field(3, ge=1, le=10)

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> StorageSettings:
        if self.storage == "s3" and not self.s3_bucket:
            raise ValueError("COMPTOIR_STORAGE=s3 needs COMPTOIR_S3_BUCKET")
        if (self.s3_access_key_id is None) != (self.s3_secret_access_key is None):
            raise ValueError("set both COMPTOIR_S3_ACCESS_KEY_ID and COMPTOIR_S3_SECRET_ACCESS_KEY, or neither")
        return self
