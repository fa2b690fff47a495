#!/usr/bin/env bash
# Extract the translatable strings of one app (its Python code and templates/<app>/)
# into <app>/locale/zh_Hans/LC_MESSAGES/django.po, keeping existing translations;
# then fill the msgstr lines in Chinese. `portal` also owns base.html, the error pages
# (403, 403_csrf, 404, 500), includes/ and registration/. Usage: scripts/messages.sh catalog
set -euo pipefail
cd "$(dirname "$0")/.."
app=${1:?usage: scripts/messages.sh APP}
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$app/locale"
ln -s "$root/$app" "$work/$app"
[ -d "templates/$app" ] && ln -s "$root/templates/$app" "$work/templates_$app"
if [ "$app" = portal ]; then
  for t in base.html 403.html 403_csrf.html 404.html 500.html includes registration; do ln -s "$root/templates/$t" "$work/tpl_$t"; done
fi
ln -s "$root/$app/locale" "$work/locale"
(cd "$work" && "$root/.venv/bin/django-admin" makemessages -l zh_Hans --symlinks --no-location \
  --ignore="$app/locale/*" --ignore="$app/migrations/*" -v0)
(cd "$work" && "$root/.venv/bin/django-admin" makemessages -l zh_Hans -d djangojs --symlinks --no-location -v0 2>/dev/null || true)
grep -c '^msgid' "$app/locale/zh_Hans/LC_MESSAGES/django.po" | xargs echo "msgids in $app:"
python3 - "$app/locale/zh_Hans/LC_MESSAGES/django.po" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
blocks = text.split("\n\n")
empty = [b for b in blocks[1:] if re.search(r'^msgstr ""\s*$', b, re.M) and "msgid_plural" not in b and not b.startswith("#~")]
print(f"untranslated: {len(empty)}")
PY
