import type { NetworkMode } from '../../net/index.js';
import { addressTranslation } from './address-translation.js';
import type { DataPath } from './data-path.js';
import { fullMediation } from './full-mediation.js';

/** The data path of each `--network` mode. */
export const DATA_PATHS: Readonly<Record<NetworkMode, DataPath>> = {
  full: fullMediation,
  translate: addressTranslation,
};
