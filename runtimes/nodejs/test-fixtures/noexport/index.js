'use strict';
exports.somethingElse = () => 1;
