"""UI strings of the admin family (key: (vi, en)); merged into :data:`ioc.i18n.STRINGS`."""

STRINGS: dict[str, tuple[str, str]] = {}
