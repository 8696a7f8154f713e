#!/bin/sh
# The namespace the bureau's workflows run in, with the retention its records policy needs:
# created when missing, its retention set again when it exists (so a change in .env takes
# effect on the next `up`). Any other error ends the job non-zero and the stack stops there.
set -eu

: "${TEMPORAL_ADDRESS:?}"
: "${NAMESPACE:?set TEMPORAL_NAMESPACE in .env}"
: "${RETENTION_DAYS:?set TEMPORAL_RETENTION_DAYS in .env}"
temporal=${TEMPORAL_CLI:-temporal}

# The frontend port opens before the server can serve namespaces.
attempt=1
until "$temporal" operator cluster health --address "$TEMPORAL_ADDRESS"; do
    if [ "$attempt" -ge "${HEALTH_ATTEMPTS:-30}" ]; then
        echo "Temporal at $TEMPORAL_ADDRESS is not serving after $attempt attempts" >&2
        exit 1
    fi
    attempt=$((attempt + 1))
    sleep "${HEALTH_SLEEP_SECONDS:-2}"
done

if created=$("$temporal" operator namespace create --address "$TEMPORAL_ADDRESS" \
    --namespace "$NAMESPACE" --retention "${RETENTION_DAYS}d" 2>&1); then
    echo "$created"
    exit 0
fi
case $created in
    *"already exists"*)
        "$temporal" operator namespace update --address "$TEMPORAL_ADDRESS" \
            --namespace "$NAMESPACE" --retention "${RETENTION_DAYS}d"
        ;;
    *)
        echo "$created" >&2
        exit 1
        ;;
esac
