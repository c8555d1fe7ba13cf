"""UI strings of the traffic family (key: (vi, en)); merged into :data:`ioc.i18n.STRINGS`."""

STRINGS: dict[str, tuple[str, str]] = {}
