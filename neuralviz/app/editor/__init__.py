"""The architecture editor: draw a network as a graph, check its shapes as you draw, train it.

One small class per file:

* ``catalog.py``     the layer types as the palette and inspector show them (typed parameters)
* ``model.py``       GraphModel: the drawing, kept as the network spec itself (no Qt)
* ``inference.py``   ShapeChecker: the engine's shape inference, node by node
* ``layout.py``      auto-layout, layered left to right
* ``templates.py``   networks to start from
* ``commands.py``    the undo history's command; ``document.py`` the model + undo stack + inference
* canvas: ``scene.py`` (GraphScene), ``view.py`` (GraphView), ``node_item.py``, ``edge_item.py``,
  ``port_item.py``, ``style.py``
* panels: ``palette.py`` (layer types, search), ``inspector.py`` (+ ``param_field.py``), ``actions.py``
  (commands and shortcuts)
* ``thumbnails.py``  live activity pictures from the studio's snapshots (probed in a WorkerHost thread)
* ``export.py``      PNG and SVG for slides; ``training_data.py`` which data "Train" uses
* ``page.py``        EditorPage: the tab, built as EditorPage(window)
"""
