"""A minimal Django project for the clients test (integration/clients_test.go):
django-storages' S3 storage as the default storage and its
S3ManifestStaticStorage for static files, on the server and bucket the
environment names (S3KIT_ENDPOINT, S3KIT_ACCESS_KEY, S3KIT_SECRET_KEY,
S3KIT_BUCKET, S3KIT_PREFIX, S3KIT_STATIC_DIR)."""

import os

import django

SECRET_KEY = "s3kit-clients-test"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["django.contrib.staticfiles"]

AWS_S3_ENDPOINT_URL = os.environ["S3KIT_ENDPOINT"]
AWS_S3_ACCESS_KEY_ID = os.environ["S3KIT_ACCESS_KEY"]
AWS_S3_SECRET_ACCESS_KEY = os.environ["S3KIT_SECRET_KEY"]
AWS_STORAGE_BUCKET_NAME = os.environ["S3KIT_BUCKET"]
AWS_S3_REGION_NAME = "us-east-1"
AWS_S3_ADDRESSING_STYLE = "path"
# boto3 (Debian's 1.26) presigns with AWS's signature version 2 unless told
# otherwise; django-storages' documentation says to set s3v4.
AWS_S3_SIGNATURE_VERSION = "s3v4"
AWS_LOCATION = os.environ["S3KIT_PREFIX"] + "media"

STATIC_URL = "/static/"
STATICFILES_DIRS = [os.environ["S3KIT_STATIC_DIR"]]
_media, _static = "clientstorages.MediaStorage", "clientstorages.StaticStorage"
if django.VERSION >= (4, 2):
    STORAGES = {"default": {"BACKEND": _media}, "staticfiles": {"BACKEND": _static}}
else:
    DEFAULT_FILE_STORAGE, STATICFILES_STORAGE = _media, _static
