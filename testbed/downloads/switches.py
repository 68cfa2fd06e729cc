"""One question for the whole app: is this historical defect switched on?"""

from django.conf import settings


def defect_on(name: str) -> bool:
    return name in settings.AUTHFUZZ_DEFECTS
