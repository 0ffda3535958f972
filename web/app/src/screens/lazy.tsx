// A screen loaded when it is first shown (its own script file, `import()`): the first load carries
// only the sign-in, the navigation and the diary. Every lazily loaded screen of the app goes
// through here (src/nav.tsx's sections, the password recovery); offline it comes from the
// service worker's cache like the rest of the build, and a screen never loaded before says so,
// with a retry.
import type { ComponentType, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { t } from "../i18n";

export function lazy<P extends object>(load: () => Promise<{ default: ComponentType<P> }>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  return function Lazy(props: P): JSX.Element {
    const [Screen, setScreen] = useState<ComponentType<P> | null>(() => loaded);
    const [failed, setFailed] = useState(false);
    const [attempt, setAttempt] = useState(0);
    useEffect(() => {
      if (Screen) return;
      let current = true;
      setFailed(false);
      load().then(
        (module) => {
          loaded = module.default;
          if (current) setScreen(() => module.default);
        },
        () => current && setFailed(true),
      );
      return () => {
        current = false;
      };
    }, [Screen, attempt]);
    if (Screen) return <Screen {...props} />;
    if (failed) {
      return (
        <p role="alert" class="problem">
          {t("screenFailed")}{" "}
          <button type="button" class="secondary" onClick={() => setAttempt(attempt + 1)}>
            {t("retry")}
          </button>
        </p>
      );
    }
    return <p role="status">{t("loading")}</p>;
  };
}
