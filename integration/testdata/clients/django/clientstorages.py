"""The storages of the clients test's Django project: django-storages' S3
storage (S3Storage, S3Boto3Storage before django-storages 1.14) for media,
and S3ManifestStaticStorage under the case's prefix for static files."""

import os

try:
    from storages.backends.s3 import S3Storage, S3ManifestStaticStorage
except ImportError:  # django-storages before 1.14
    from storages.backends.s3boto3 import S3Boto3Storage as S3Storage, S3ManifestStaticStorage


class MediaStorage(S3Storage):
    pass


class StaticStorage(S3ManifestStaticStorage):
    location = os.environ["S3KIT_PREFIX"] + "static"
