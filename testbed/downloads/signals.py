"""Every new user gets a v1 ApiKey and a v2 Token, as on python.org."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token
from tastypie.models import ApiKey


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_credentials(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        ApiKey.objects.get_or_create(user=instance)
        Token.objects.get_or_create(user=instance)
