'use strict';
// Reports what a function could see of an earlier warm-up of its host (runtimes/nodejs/test/warmup.test.js).
const fs = require('fs');
const os = require('os');
exports.handler = async () => ({
  modules: Object.keys(require.cache).filter((k) => k.includes('nest-warmup')),
  env: Object.keys(process.env).filter((k) => k.includes('WARMUP')),
  tmp: fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('nest-warmup')),
});
