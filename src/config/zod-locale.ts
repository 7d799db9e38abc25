// zod/mini (what the schemas use: a fraction of the full build in the Lambda bundle) carries no
// messages of its own; this gives it the English ones the full build uses, so a bad config or request
// body is explained in the same words. Imported for its effect by every module that holds a schema.
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

z.config(en());
