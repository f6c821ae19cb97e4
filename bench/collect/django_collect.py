"""Django's collectstatic with django-storages' S3ManifestStaticStorage, timed.

Run by bench/collect (go run ./bench/collect): it configures Django from the
environment the Go side sets and prints one line, the seconds the command
took. Needs python3-django and python3-django-storages (Debian's).
"""
import os
import sys
import time

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    INSTALLED_APPS=["django.contrib.staticfiles"],
    STATIC_URL="/static/",
    STATICFILES_DIRS=[os.environ["BENCH_SOURCE"]],
    STATICFILES_STORAGE="storages.backends.s3boto3.S3ManifestStaticStorage",
    AWS_STORAGE_BUCKET_NAME=os.environ["BENCH_BUCKET"],
    AWS_LOCATION=os.environ["BENCH_LOCATION"],
    AWS_S3_ENDPOINT_URL=os.environ["BENCH_ENDPOINT"],
    AWS_S3_REGION_NAME="us-east-1",
    AWS_S3_ADDRESSING_STYLE="path",
    AWS_S3_SIGNATURE_VERSION="s3v4",
    AWS_DEFAULT_ACL=None,
    AWS_QUERYSTRING_AUTH=False,
)
django.setup()

from django.core.management import call_command  # noqa: E402

start = time.monotonic()
call_command("collectstatic", interactive=False, verbosity=0)
print(f"{time.monotonic() - start:.3f}")
sys.stdout.flush()
