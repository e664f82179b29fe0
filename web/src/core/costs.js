// The two computations the cost chapters compare, as core.cost calls. Every figure comes from the
// core's analytic model; this file only names which variant and form stand for each side.
//
//   quadratic: softmax attention, parallel form (the n x n score matrix, then weights x values)
//   linear:    linear attention with the identity feature map, unnormalised, recurrent form
//              (a d x d state written and read once per token): the lesson's plain Q (Kᵀ V)

export const QUADRATIC = { id: 'softmax', form: 'parallel', options: {} };
export const LINEAR = { id: 'linear', form: 'recurrent', options: { featureMap: 'identity', normalize: false } };

export function costOf(core, side, n, dk, dv = dk) {
  return core.cost(side.id, { n, dk, dv, form: side.form, ...side.options });
}
