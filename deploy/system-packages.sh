#!/usr/bin/env bash
# The one list of Debian packages smartduty needs, and the one step that installs them.
#
#   deploy/system-packages.sh run    what the product needs to run (`make run`)
#   deploy/system-packages.sh test   + what the test suite needs (`make test`)
#   deploy/system-packages.sh ci     + the PostgreSQL server that `.ci/run` starts
#   deploy/system-packages.sh list <group>   print the packages of a group, install nothing
#
# Installs only what is missing (one dpkg query when nothing is), as root with apt-get.
# Not root and something missing: prints the command to run and fails.
# Why each package is here, and which were replaced by PyPI wheels: docs/decisions/0008.
set -euo pipefail

# CJK font: the notice PDF (reportlab embeds it) and the watermark on evidence copies.
RUN_PACKAGES=(fonts-wqy-microhei)
# Chromium for the browser tests (Playwright drives /usr/bin/chromium; never `playwright install`).
TEST_PACKAGES=("${RUN_PACKAGES[@]}" chromium)
# The throwaway PostgreSQL server of `.ci/run`.
CI_PACKAGES=("${TEST_PACKAGES[@]}" postgresql)

group_packages() {
  case "$1" in
    run) echo "${RUN_PACKAGES[@]}" ;;
    test) echo "${TEST_PACKAGES[@]}" ;;
    ci) echo "${CI_PACKAGES[@]}" ;;
    *) echo "unknown package group '$1' (run, test or ci)" >&2; return 2 ;;
  esac
}

if [ "${1:-}" = "list" ]; then
  group_packages "${2:-run}"
  exit 0
fi

group="${1:-run}"
read -r -a wanted <<<"$(group_packages "$group")"

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "smartduty: 非 Debian/Ubuntu 系统，请自行安装 / not a Debian system, install these yourself: ${wanted[*]}" >&2
  exit 0
fi

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  cat >&2 <<EOT
smartduty 需要以下系统软件包 / needs these Debian packages: ${missing[*]}
请以 root 身份运行 / run as root:
    sudo apt-get install -y --no-install-recommends ${missing[*]}
然后重新执行 / then run make again.
EOT
  exit 1
fi

echo "smartduty: 正在安装系统软件包 / installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "smartduty: 已安装 / installed: ${missing[*]}"
