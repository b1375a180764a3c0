#!/usr/bin/env bash
# sam deploy of the built stack (.aws-sam/build, from deploy.yml's build job) into the
# account whose credentials the environment holds. Every setting comes from the GitHub
# environment's variables (docs/delivery.md); a template parameter is passed only when its
# variable is set, so a variable can be set before or after the template has the parameter
# (CloudFormation refuses an override of a parameter the template does not have).
set -euo pipefail

SAM="${SAM:-.venv-sam/bin/sam}"
TEMPLATE="${TEMPLATE:-.aws-sam/build/template.yaml}"

missing=()
for name in STACK_NAME ARTIFACT_BUCKET CLOUDFORMATION_ROLE_ARN; do
    [ -n "${!name:-}" ] || missing+=("$name")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "sam-deploy: set the environment's variables ${missing[*]} (docs/delivery.md)" >&2
    exit 2
fi

overrides=()
add() { # add PARAMETER VALUE: the override, when VALUE is not empty
    if [ -n "$2" ]; then overrides+=("$1=$2"); fi
}
# the stage roles are named after ResourcePrefix; the CloudFormation role may create roles
# named after the stack only (deploy/github-oidc.yaml): the prefix is the stack's name
add ResourcePrefix "${RESOURCE_PREFIX:-$STACK_NAME}"
add AllowedEventAccounts "${ALLOWED_EVENT_ACCOUNTS:-}"
add PromotionSourceAccounts "${PROMOTION_SOURCE_ACCOUNTS:-}"
add RegistryReaderAccounts "${REGISTRY_READER_ACCOUNTS:-}"
# further Key=Value pairs, separated by spaces
if [ -n "${EXTRA_PARAMETER_OVERRIDES:-}" ]; then
    read -r -a extra <<<"$EXTRA_PARAMETER_OVERRIDES"
    overrides+=("${extra[@]}")
fi

args=(
    deploy
    --template-file "$TEMPLATE"
    --stack-name "$STACK_NAME"
    --s3-bucket "$ARTIFACT_BUCKET"
    --s3-prefix "$STACK_NAME"
    --role-arn "$CLOUDFORMATION_ROLE_ARN"
    --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM
    --no-confirm-changeset
    --no-fail-on-empty-changeset
)
if [ "${#overrides[@]}" -gt 0 ]; then
    args+=(--parameter-overrides "${overrides[@]}")
fi

echo "sam deploy: stack $STACK_NAME, parameters: ${overrides[*]:-(template defaults)}"
exec "$SAM" "${args[@]}"
