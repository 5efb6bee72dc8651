// The types of what peers-tools.js exports for its unit test.
import type { PlacedProcess } from './shadow-config.js';

export interface WorkloadProcess {
  host: string;
  argv: string[];
  role: 'server' | 'daemon' | 'client';
  port?: number;
}
export type Workload = (network: { address(host: string): string; port(index: number): number }) => WorkloadProcess[];
export function placed(workload: Workload): PlacedProcess[];
export function deploymentXml(processes: PlacedProcess[]): string;
export function platformXml(hosts: number): string;
