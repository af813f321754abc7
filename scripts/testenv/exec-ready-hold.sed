# Applied to kwok's pod-ready stage (cluster.sh): a pod is not made Running until the pod agent
# (exec-ready.ts) has seen a command in it run under the pod's own Exec and set the condition
# skiff.dev/ExecReady. A restored pod never carries it over: the API server resets a new pod's status.
/^    matchExpressions:$/a\
\    - key: '.status.conditions.[] | select( .type == "skiff.dev/ExecReady" ) | .status'\
\      operator: 'In'\
\      values:\
\      - 'True'
