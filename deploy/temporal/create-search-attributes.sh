#!/bin/sh
# The workflows' custom search attributes, one NAME=TYPE argument each. The CLI answers 0
# when an attribute already exists with that type; anything else (another type, no such
# namespace, no server) ends the job non-zero, and web and worker do not start.
set -eu

: "${TEMPORAL_ADDRESS:?}"
: "${NAMESPACE:?set TEMPORAL_NAMESPACE in .env}"
temporal=${TEMPORAL_CLI:-temporal}

for attribute in "$@"; do
    "$temporal" operator search-attribute create --address "$TEMPORAL_ADDRESS" \
        --namespace "$NAMESPACE" --name "${attribute%%=*}" --type "${attribute#*=}"
    echo "search attribute $attribute"
done
