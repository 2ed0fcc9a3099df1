import { requireDemo } from "../demo/demo-guard.server";
import { DEMO_APP_BRIDGE_JS } from "../admin/demo-app-bridge";

/** Demo only: the App Bridge stand-in script (see app/admin/demo-app-bridge.ts). */
export const loader = () => {
  requireDemo();
  return new Response(DEMO_APP_BRIDGE_JS, { headers: { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache" } });
};
