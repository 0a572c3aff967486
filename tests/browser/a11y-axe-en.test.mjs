// Accessibility: axe-core (npm) in the page finds nothing serious or critical
// (WCAG 2 A/AA: labels, contrast, roles …) in any panel nor on the login page,
// in English (helpers.mjs axeTest, axeLoginTest).
import { test, after } from 'node:test';
import { axeTest, axeLoginTest, closeBrowser } from './helpers.mjs';

after(closeBrowser);
axeLoginTest(test, 'en-GB');
axeTest(test, 'en');
