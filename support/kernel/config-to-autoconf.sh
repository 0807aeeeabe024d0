#!/bin/sh
# Turns a kernel config file (NAME=value lines, `y` = defined as 1) into the
# autoconf.h the seL4 kernel includes.
set -eu
cfg=$1
echo "/* Generated from $cfg by support/kernel/config-to-autoconf.sh. Do not edit. */"
echo "#ifndef AUTOCONF_INCLUDED"
echo "#define AUTOCONF_INCLUDED"
sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' "$cfg" | while IFS='=' read -r name value; do
    case "$name" in
        CONFIG_[A-Z0-9_]*) ;;
        *) echo "config-to-autoconf.sh: $cfg: bad name '$name'" >&2; exit 1 ;;
    esac
    case "$value" in
        y) echo "#define $name 1" ;;
        '') echo "config-to-autoconf.sh: $cfg: $name has no value" >&2; exit 1 ;;
        *) echo "#define $name $value" ;;
    esac
done
echo "#endif"
