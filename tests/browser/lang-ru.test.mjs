// The console in ru: see languages.mjs.
import { test, after } from 'node:test';
import { closeBrowser } from './helpers.mjs';
import { languageTest } from './languages.mjs';

after(closeBrowser);
languageTest(test, 'ru');
