#!/usr/bin/env node
// The `fleet` bin: runs scripts/fleet.ts through tsx, so the CLI needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('./fleet.ts');
