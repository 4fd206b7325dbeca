"""Export files in S3 (the blob bucket, under ``exports/``; infra expires them after a day).

``upload_fileobj`` is boto3's managed transfer: files above 8 MB go up as a multipart upload read
in 8 MB chunks, so memory does not grow with the file. Links are presigned GETs.
"""
from __future__ import annotations

from functools import cached_property
from typing import Any, BinaryIO


class S3ExportFiles:
    def __init__(self, bucket: str, region: str) -> None:
        self.bucket = bucket
        self.region = region

    @cached_property
    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        # SigV4 links (SigV2 presigning is refused in newer regions and for KMS-encrypted objects).
        return boto3.client("s3", region_name=self.region, config=Config(signature_version="s3v4"))

    def upload(self, key: str, file: BinaryIO, filename: str) -> None:
        self.client.upload_fileobj(file, self.bucket, key, ExtraArgs={
            "ContentType": "text/csv; charset=utf-8", "ContentDisposition": f'attachment; filename="{filename}"'})

    def download_url(self, key: str, filename: str, expires_seconds: int) -> str:
        url: str = self.client.generate_presigned_url("get_object", ExpiresIn=expires_seconds, Params={
            "Bucket": self.bucket, "Key": key, "ResponseContentDisposition": f'attachment; filename="{filename}"'})
        return url
