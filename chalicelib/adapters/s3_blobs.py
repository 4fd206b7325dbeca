"""Large message bodies in S3 (the bucket is in infra/; moto locally and in tests).

The boto3 client is made on first use, not at import. ``AWS_ENDPOINT_URL_S3`` (read by boto3
itself) points it at the local stack's moto server.
"""
from __future__ import annotations

from functools import cached_property
from typing import Any


class S3BlobStore:
    def __init__(self, bucket: str, region: str) -> None:
        self.bucket = bucket
        self.region = region

    @cached_property
    def client(self) -> Any:
        import boto3

        from .aws_config import boto_config

        return boto3.client("s3", region_name=self.region, config=boto_config())

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="application/json")

    def get(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body
