# OpenLDAP (slapd) for the LDAP lookup tests (sourced by scripts/test.sh; also `source scripts/services/ldap.sh` by hand).
# Installs Debian's slapd + ldap-utils + libldap when missing (libldap is the native library
# System.DirectoryServices.Protocols loads on Linux), starts one throwaway slapd on 127.0.0.1 (first free port from
# 13389) with a memberOf overlay, seeds people, groups and registered devices, and exports GUMSHOE_TEST_LDAP_URL,
# GUMSHOE_TEST_LDAP_BIND_DN, GUMSHOE_TEST_LDAP_PASSWORD and GUMSHOE_TEST_LDAP_BASE. Idempotent: a slapd this script
# started earlier and that still answers is reused.
_gs_ldap_dir=/tmp/gumshoe-test-ldap

_gs_ldap_install() {
  local p missing=()
  for p in slapd ldap-utils libldap-2.5-0; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    # preseed so slapd's postinst neither prompts nor builds a default database
    printf '%s\n' 'slapd slapd/no_configuration boolean true' | debconf-set-selections
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || true
    for p in "${missing[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || { echo "ldap.sh: cannot install $p" >&2; return 1; }
    done
  fi
  # System.DirectoryServices.Protocols loads libldap.so.2 and falls back to libldap-2.5.so.0 (Debian 12): no symlink needed
}

_gs_ldap_seed() {
  local base=$1
  ldapadd -x -H "$GUMSHOE_TEST_LDAP_URL" -D "$GUMSHOE_TEST_LDAP_BIND_DN" -w "$GUMSHOE_TEST_LDAP_PASSWORD" >/dev/null <<LDIF
dn: $base
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,$base
objectClass: organizationalUnit
ou: people

dn: ou=groups,$base
objectClass: organizationalUnit
ou: groups

dn: ou=devices,$base
objectClass: organizationalUnit
ou: devices

dn: uid=carol,ou=people,$base
objectClass: inetOrgPerson
uid: carol
cn: Carol Cook
sn: Cook
mail: carol@example.org
departmentNumber: 200
title: Head of Engineering

dn: uid=alice,ou=people,$base
objectClass: inetOrgPerson
uid: alice
cn: Alice Archer
sn: Archer
mail: alice@example.org
departmentNumber: 100
manager: uid=carol,ou=people,$base

dn: uid=bob,ou=people,$base
objectClass: inetOrgPerson
uid: bob
cn: Bob Baker
sn: Baker
mail: bob@example.org
departmentNumber: 200
manager: uid=carol,ou=people,$base

dn: uid=star*user,ou=people,$base
objectClass: inetOrgPerson
uid: star*user
cn: Star (Test) User
sn: User
mail: star@example.org
departmentNumber: 900

dn: cn=admins,ou=groups,$base
objectClass: groupOfNames
cn: admins
member: uid=alice,ou=people,$base

dn: cn=devs,ou=groups,$base
objectClass: groupOfNames
cn: devs
member: uid=alice,ou=people,$base
member: uid=bob,ou=people,$base

dn: cn=alice-laptop,ou=devices,$base
objectClass: device
objectClass: ipHost
objectClass: ieee802Device
cn: alice-laptop
ipHostNumber: 10.20.0.15
macAddress: 00:16:3e:0a:11:ce
owner: uid=alice,ou=people,$base

dn: cn=bob-desktop,ou=devices,$base
objectClass: device
objectClass: ipHost
objectClass: ieee802Device
cn: bob-desktop
ipHostNumber: 10.20.0.16
macAddress: 00:16:3e:0b:0b:00
owner: uid=bob,ou=people,$base
LDIF
}

_gs_ldap_start() {
  _gs_ldap_install || return 1
  if [ -f "$_gs_ldap_dir/env" ] && [ -f "$_gs_ldap_dir/slapd.pid" ] && kill -0 "$(cat "$_gs_ldap_dir/slapd.pid")" 2>/dev/null; then
    # shellcheck source=/dev/null
    source "$_gs_ldap_dir/env"
    if ldapsearch -x -H "$GUMSHOE_TEST_LDAP_URL" -D "$GUMSHOE_TEST_LDAP_BIND_DN" -w "$GUMSHOE_TEST_LDAP_PASSWORD" \
         -b "$GUMSHOE_TEST_LDAP_BASE" -s base dn >/dev/null 2>&1; then
      export GUMSHOE_TEST_LDAP_URL GUMSHOE_TEST_LDAP_BIND_DN GUMSHOE_TEST_LDAP_PASSWORD GUMSHOE_TEST_LDAP_BASE
      return 0
    fi
    kill "$(cat "$_gs_ldap_dir/slapd.pid")" 2>/dev/null || true
    sleep 0.5
  fi
  rm -rf "$_gs_ldap_dir"
  mkdir -p "$_gs_ldap_dir/db" && chmod 700 "$_gs_ldap_dir"
  local port=13389
  while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port+1)); done
  local base="dc=example,dc=org" password
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  cat >"$_gs_ldap_dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile $_gs_ldap_dir/slapd.pid
database mdb
maxsize 104857600
suffix "$base"
rootdn "cn=admin,$base"
rootpw $password
directory $_gs_ldap_dir/db
index objectClass,uid,mail,ipHostNumber,macAddress eq
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint true
CONF
  chmod 600 "$_gs_ldap_dir/slapd.conf"
  # slapd -d 0 stays in the foreground as a child of this shell; setsid detaches it so it outlives the caller
  setsid slapd -d 0 -h "ldap://127.0.0.1:$port/" -f "$_gs_ldap_dir/slapd.conf" </dev/null >"$_gs_ldap_dir/slapd.log" 2>&1 &
  local pid=$! i
  for ((i=0; i<600; i++)); do
    (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$_gs_ldap_dir/slapd.log" >&2; return 1; }
    sleep 0.05
  done
  [ $i -lt 600 ] || { echo "ldap.sh: slapd did not start" >&2; return 1; }
  GUMSHOE_TEST_LDAP_URL="ldap://127.0.0.1:$port"
  GUMSHOE_TEST_LDAP_BIND_DN="cn=admin,$base"
  GUMSHOE_TEST_LDAP_PASSWORD=$password
  GUMSHOE_TEST_LDAP_BASE=$base
  _gs_ldap_seed "$base" || { echo "ldap.sh: seeding failed" >&2; return 1; }
  {
    printf 'GUMSHOE_TEST_LDAP_URL=%q\n' "$GUMSHOE_TEST_LDAP_URL"
    printf 'GUMSHOE_TEST_LDAP_BIND_DN=%q\n' "$GUMSHOE_TEST_LDAP_BIND_DN"
    printf 'GUMSHOE_TEST_LDAP_PASSWORD=%q\n' "$GUMSHOE_TEST_LDAP_PASSWORD"
    printf 'GUMSHOE_TEST_LDAP_BASE=%q\n' "$GUMSHOE_TEST_LDAP_BASE"
  } >"$_gs_ldap_dir/env"
  chmod 600 "$_gs_ldap_dir/env"
  export GUMSHOE_TEST_LDAP_URL GUMSHOE_TEST_LDAP_BIND_DN GUMSHOE_TEST_LDAP_PASSWORD GUMSHOE_TEST_LDAP_BASE
}
_gs_ldap_start || echo "ldap.sh: slapd is not available; the LDAP lookup tests will fail" >&2
