/**
 * The root `skiff` command with the global client flags (reference §8.1), shared by the full
 * command tree (program.ts) and the node agent's own (node-agent/program.ts).
 */
import { Command } from '@commander-js/extra-typings';

export function rootCommand() {
  return new Command('skiff')
    .description('Back up and restore Kubernetes objects and volumes; speaks Velero’s velero.io/v1 API')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--kubecontext <context>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', 'namespace of the Skiff server (default: $VELERO_NAMESPACE or velero)')
    .showHelpAfterError('(run with --help for usage)');
}
