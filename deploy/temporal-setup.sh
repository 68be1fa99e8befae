#!/bin/sh
# One-shot Temporal setup for graphcompat, run by the `temporal-setup` service
# (temporalio/admin-tools image) after the `temporal` service is healthy:
#   1. create the namespace if it does not exist yet;
#   2. register the custom search attributes graphcompat's workflows carry.
# Safe to run again: an existing namespace is left alone, and adding a search
# attribute that already exists with the same type is a no-op.
set -eu

address="${TEMPORAL_ADDRESS:-temporal:7233}"
namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_NAMESPACE_RETENTION:-72h}"

attempt=1
until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
  if [ "$attempt" -ge 60 ]; then
    echo "temporal-setup: Temporal at $address is not serving" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

if temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
  echo "temporal-setup: namespace $namespace exists"
else
  echo "temporal-setup: creating namespace $namespace (retention $retention)"
  temporal operator namespace create --address "$address" --namespace "$namespace" --retention "$retention"
fi

# A new namespace takes a few seconds to reach every frontend's cache, so retry.
create_search_attribute() {
  name="$1"
  type="$2"
  attempt=1
  until temporal operator search-attribute create --address "$address" --namespace "$namespace" --name "$name" --type "$type"; do
    if [ "$attempt" -ge 15 ]; then
      echo "temporal-setup: could not create search attribute $name ($type)" >&2
      exit 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
}

create_search_attribute GraphThreadId Keyword
create_search_attribute GraphName Keyword
create_search_attribute GraphStep Int

temporal operator search-attribute list --address "$address" --namespace "$namespace"
echo "temporal-setup: done"
