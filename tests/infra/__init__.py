"""Packaging, CloudFormation and IAM policies."""
