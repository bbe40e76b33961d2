#!/usr/bin/env bash
# Regenerates the key table of docs/configuration.md from the code (`vigilante config reference`).
# The test ConfigurationDocumentationTests fails when a key the code reads is missing from the document.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/debug/vigilante}"
python3 - "$binary" <<'PY'
import subprocess, sys
doc_path = "docs/configuration.md"
doc = open(doc_path).read()
marker = "## Every key\n"
table = subprocess.run([sys.argv[1], "config", "reference"], check=True, capture_output=True, text=True).stdout
open(doc_path, "w").write(doc[: doc.index(marker)] + marker + "\n" + table)
PY
