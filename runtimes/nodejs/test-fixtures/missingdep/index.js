'use strict';
const lib = require('not-installed-anywhere');
exports.handler = () => lib;
