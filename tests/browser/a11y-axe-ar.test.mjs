// Accessibility: axe-core (npm) in the page finds nothing serious or critical
// (WCAG 2 A/AA) in any panel nor on the login page, in Arabic, right to left
// (helpers.mjs axeTest, axeLoginTest).
import { test, after } from 'node:test';
import { axeTest, axeLoginTest, closeBrowser } from './helpers.mjs';

after(closeBrowser);
axeLoginTest(test, 'ar-SY');
axeTest(test, 'ar');
