#!/usr/bin/env bash
# Follow docs/deploy.md on this machine (as root) against a throwaway PostgreSQL: see
# follow_deploy_doc.py. Used by .ci/run ("deploy doc + offline install"). KEEP_DEPLOY_PREFIX=1 keeps
# the folder for a look afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# The role and database the throwaway server starts with must not be the document's "servicecenter".
PG_TEST_USER=ci PG_TEST_DB=ci exec tests/pg/with-postgres.sh .venv/bin/python tests/deploy/follow_deploy_doc.py
