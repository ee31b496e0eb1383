'use strict';
exports.handler = 'not a function';
