/** An IPv4 socket address as the virtual network handles it. */
export interface Endpoint {
  /** Dotted quad. */
  address: string;
  port: number;
}
