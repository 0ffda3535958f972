// A screen loaded when it is first shown (its own script file): the first load carries only the
// sign-in and the diary.
import type { ComponentType, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { t } from "../i18n";
import { w } from "./words_account";

export function lazy<P extends object>(load: () => Promise<{ default: ComponentType<P> }>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  return function Lazy(props: P): JSX.Element {
    const [Screen, setScreen] = useState<ComponentType<P> | null>(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (Screen) return;
      load().then(
        (module) => {
          loaded = module.default;
          setScreen(() => module.default);
        },
        () => setFailed(true),
      );
    }, [Screen]);
    if (Screen) return <Screen {...props} />;
    return <p role="status">{failed ? w("screenOffline") : t("loading")}</p>;
  };
}
