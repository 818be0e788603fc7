// The kirm `sip` package (0.0.6, CommonJS, no types): only what the differential test uses.
declare module 'sip' {
  export interface KirmAddress {
    name?: string;
    uri: string;
    params: Record<string, string | null | undefined>;
  }
  export interface KirmVia {
    protocol: string;
    host: string;
    port?: number;
    params: Record<string, string | null | undefined>;
  }
  export interface KirmMessage {
    method?: string;
    status?: number;
    headers: {
      from?: KirmAddress;
      to?: KirmAddress;
      via?: KirmVia[];
      'call-id'?: string;
      cseq?: { seq: number; method: string };
      'p-asserted-identity'?: string;
      [name: string]: unknown;
    };
  }
  export interface KirmUri {
    schema: string;
    user?: string;
    host: string;
  }
  const sip: {
    parse(message: string | Buffer): KirmMessage | undefined;
    parseUri(uri: string): KirmUri | undefined;
    /** Parses one name-addr of `data.s` from `data.i`, advancing `data.i`. */
    parseAOR(data: { s: string; i: number }): KirmAddress;
  };
  export default sip;
}
