import type { Viewer } from "../../auth/roles.ts";
import { builder } from "../builder.ts";

const ViewerRef = builder.objectRef<Viewer>("Viewer").implement({
  description: "Who the token says you are",
  fields: (t) => ({
    sub: t.exposeString("sub"),
    role: t.exposeString("role"),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({
    type: ViewerRef,
    nullable: true,
    description: "The caller, or null without a token",
    resolve: (_root, _args, ctx) => ctx.viewer,
  }),
);
