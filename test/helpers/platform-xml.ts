/** A platform file holding `body` in one zone: the wrapper every SimGrid platform needs. */
export function platformXml(body: string, routing = 'Full'): string {
  return `<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <zone id="z" routing="${routing}">
${body}
  </zone>
</platform>
`;
}
