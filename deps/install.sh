#!/bin/sh
# deps/install.sh build|test — install the Debian packages mond needs.
# Idempotent and quiet when everything is already there.  Services that
# packages would start (mon, postfix, postgresql, nsd) are kept from
# starting: the tests start their own servers on free ports.
set -eu
here=$(dirname "$0")
lists="$here/build.txt"
[ "${1:-build}" = test ] && lists="$lists $here/test.txt"
pkgs=$(sed -e 's/#.*//' $lists | tr -s ' \n' '\n' | grep -v '^$' | sort -u)
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing$missing"
# Keep packaged daemons from starting at install time.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# PostgreSQL: no default cluster, the tests make their own.
$SUDO mkdir -p /etc/postgresql-common
[ -e /etc/postgresql-common/createcluster.conf ] ||
    echo 'create_main_cluster = false' | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
echo 'postfix postfix/main_mailer_type select No configuration' | $SUDO debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
