#!/usr/bin/env bash
# System packages the prescription reader needs, from Debian (12, bookworm) — run as root.
#   tesseract-ocr-khm  Khmer LSTM model: /usr/share/tesseract-ocr/5/tessdata/khm.traineddata
#                      (not on npm; English/French come from @tesseract.js-data/* in node_modules)
#   fonts-khmeros      Khmer fonts, used by test/reading/synth/generate.ts to render
#                      labelled synthetic prescriptions
#   tesseract-ocr      the native OCR binary: full pages read about twice as fast as tesseract.js
#                      (src/reading/native-ocr.ts; without it the reader falls back to tesseract.js)
#   fonts-humor-sans   a handwriting-like font for the generated benchmark's handwritten pads
#                      (test/reading/synth/layouts.ts)
#   chromium           the browser the web app's tests drive (playwright-core, test/web/; no
#                      browser download) and that renders the AI reports' PDFs (src/ai/pdf.ts)
#   poppler-utils      pdftoppm / pdftotext: the report tests render and read the PDFs
#   postgresql-15      initdb, pg_ctl, pg_basebackup, psql in /usr/lib/postgresql/15/bin: the
#                      scale-out test makes a primary and a streaming replica with them
#                      (test/process/scale-out.test.ts)
#   pgbouncer          the connection pooler (1.18, transaction mode) that test puts in front of both
# Idempotent and quiet when everything is already there; `apt-get update` only when something
# is missing. Used by .ci/run and by developers on a fresh machine.
set -euo pipefail

PACKAGES=(tesseract-ocr-khm fonts-khmeros tesseract-ocr fonts-humor-sans chromium poppler-utils postgresql-15 pgbouncer)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: missing ${missing[*]}; run this script as root (sudo)" >&2
  exit 1
fi

echo "install-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-system-deps: apt-get failed" >&2
  exit 1
fi
echo "install-system-deps: done" >&2
