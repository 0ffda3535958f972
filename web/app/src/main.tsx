import { render } from "preact";

import { App } from "./app";
import "./style.css";

render(<App />, document.getElementById("app")!);

// Installable and readable offline (src/sw.js); not in `npm run dev`, where files change.
if (import.meta.env.PROD && "serviceWorker" in navigator) {
  addEventListener("load", () => void navigator.serviceWorker.register("/sw.js").catch(() => undefined));
}
