# Applied to kwok's pod-ready stage (cluster.sh): a pod whose first init container is Skiff's
# `restore-wait` is not made Running until the pod agent (restore-wait.ts) has seen
# `skiff restore-helper` exit 0 for it and annotated it skiff.dev/restore-wait-released.
# Every other pod matches the added expression, so it goes Running exactly as before.
/^    matchExpressions:$/a\
\    - key: '((.spec.initContainers // [])[0].name == "restore-wait") and ((.metadata.annotations // {})["skiff.dev/restore-wait-released"] == null)'\
\      operator: 'NotIn'\
\      values:\
\      - 'true'
