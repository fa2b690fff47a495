"""Every text the templates mark for translation has its Chinese (the UI's default language):
a string left out of the catalogs shows English to a Chinese reader (the trend report and
brief pages once did, menu entry included). Read the way makemessages reads templates
(Django's ``templatize``) and looked up in the catalogs the portal loads, so an entry with
the wrong escaping (``%%`` for a ``{% translate %}`` with a percent sign) counts as missing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings
from django.utils.translation import trans_real
from django.utils.translation.template import templatize

_LITERAL = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_CALL = re.compile(rf"\b(gettext|ngettext|pgettext|npgettext)\(({_LITERAL}(?:\s*,\s*{_LITERAL})*)")


def _msgids(path: Path):
    for found in _CALL.finditer(templatize(path.read_text(encoding="utf-8"), origin=str(path))):
        function, args = found.group(1), ast.literal_eval("(" + found.group(2) + ",)")
        if function == "gettext":
            yield args[0]
        elif function == "ngettext":
            yield (args[0], 0)
        elif function == "pgettext":
            yield f"{args[0]}\x04{args[1]}"
        else:
            yield (f"{args[0]}\x04{args[1]}", 0)


def test_every_template_text_has_its_chinese():
    catalog = trans_real.translation("zh-hans")._catalog
    missing = []
    for path in sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html")):
        for key in _msgids(path):
            if key not in catalog:
                text = key[0] if isinstance(key, tuple) else key
                missing.append(f"{path.relative_to(settings.BASE_DIR)}: {text.replace(chr(4), ' | ')!r}")
    assert not missing, "no zh-hans translation for:\n" + "\n".join(sorted(set(missing)))
