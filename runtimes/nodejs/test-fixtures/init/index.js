'use strict';
// optional init() export: awaited once at load, timed as initMs
let state = 'cold';
exports.init = async () => {
  await new Promise((r) => setTimeout(r, 30));
  state = 'warm';
};
exports.handler = () => state;
